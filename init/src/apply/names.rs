//! User and group names of `-m owner` rules resolved through the system
//! databases (NSS), because iptables-save prints numeric ids. Only consulted
//! when a rule names a user or group instead of an id.

use std::ffi::CString;

use super::canon::NameResolver;

/// Resolves names with `getpwnam_r` / `getgrnam_r`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemNames;

const BUF: usize = 16 * 1024;

impl NameResolver for SystemNames {
    fn user(&self, name: &str) -> Option<u32> {
        let cname = CString::new(name).ok()?;
        let mut buf = vec![0 as libc::c_char; BUF];
        // SAFETY: zeroed passwd is a valid out-parameter.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: all pointers are valid for the duration of the call.
        let rc = unsafe {
            libc::getpwnam_r(
                cname.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        (rc == 0 && !result.is_null()).then_some(pwd.pw_uid)
    }

    fn group(&self, name: &str) -> Option<u32> {
        let cname = CString::new(name).ok()?;
        let mut buf = vec![0 as libc::c_char; BUF];
        // SAFETY: zeroed group is a valid out-parameter.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: all pointers are valid for the duration of the call.
        let rc = unsafe {
            libc::getgrnam_r(
                cname.as_ptr(),
                &mut grp,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        (rc == 0 && !result.is_null()).then_some(grp.gr_gid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_resolves_and_nonsense_does_not() {
        assert_eq!(SystemNames.user("root"), Some(0));
        assert_eq!(SystemNames.group("root"), Some(0));
        assert_eq!(SystemNames.user("no-such-user-mesh-init"), None);
        assert_eq!(SystemNames.group("bad\0name"), None);
    }
}
