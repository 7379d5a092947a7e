//! User and group names of `-m owner` rules resolved to ids from
//! `/etc/passwd` and `/etc/group`, because iptables-save prints ids even
//! when a rule was written with names. Only consulted when a rule names a
//! user or group. The files are read directly, not through NSS: no network
//! lookups from a half-configured pod network (Istio disables NSS for the
//! same reason), and the binary can be linked statically.

use super::canon::NameResolver;

/// The id of `name` in a passwd- or group-format database (`name:x:id:...`).
pub fn id_in(database: &str, name: &str) -> Option<u32> {
    database.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then_some(())?;
        fields.nth(1)?.trim().parse().ok()
    })
}

/// Resolves names from the files of this machine (the container image).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemNames;

fn lookup(file: &str, name: &str) -> Option<u32> {
    id_in(&std::fs::read_to_string(file).ok()?, name)
}

impl NameResolver for SystemNames {
    fn user(&self, name: &str) -> Option<u32> {
        lookup("/etc/passwd", name)
    }

    fn group(&self, name: &str) -> Option<u32> {
        lookup("/etc/group", name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_the_third_field() {
        let group = "root:x:0:\njava:x:1001:alice,bob\n# comment\nbroken\nftp:x:notanumber:\n";
        assert_eq!(id_in(group, "java"), Some(1001));
        assert_eq!(id_in(group, "root"), Some(0));
        assert_eq!(id_in(group, "jav"), None);
        assert_eq!(id_in(group, "ftp"), None);
        assert_eq!(id_in(group, "broken"), None);
    }

    #[test]
    fn root_exists_on_this_machine() {
        assert_eq!(SystemNames.user("root"), Some(0));
        assert_eq!(SystemNames.group("root"), Some(0));
    }
}
