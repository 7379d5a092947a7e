#[test]
fn scratch() {
    for src in [
        "a\n  {{- /* c */}}\nb",
        "{{if true}}x{{- else if true}}\n  {{- /* c */}}\nb{{end}}",
        "{{if false}}x{{- else if true}}\n  {{- /* c */}}\nb{{end}}",
    ] {
        let t = gotmpl::Template::new("t").parse(src).unwrap();
        eprintln!(
            "{:?} => {:?}",
            src,
            t.execute_to_string(&gotmpl::Value::Nil).unwrap()
        );
    }
}
