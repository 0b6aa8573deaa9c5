//! The embed's TypeScript declarations (`web/loader/cairn.d.ts`, served as `/cairn.d.ts`):
//! a sample that uses every command and event type-checks with `tsc --noEmit` (npm
//! `typescript`), and misuses are refused, each with the error its line expects.

use std::process::Command;

fn tsc(project: &str) -> (bool, String) {
    let root = xtask::root();
    let out = Command::new(xtask::npm_bin("tsc"))
        .args(["--pretty", "false", "-p"])
        .arg(root.join("tests/types").join(project))
        .current_dir(&root)
        .output()
        .expect("running tsc (cargo xtask setup installs it)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_host_page_using_every_command_and_event_type_checks() {
    let (ok, out) = tsc("tsconfig.json");
    assert!(ok, "tsc on tests/types/sample.ts:\n{out}");
}

#[test]
fn misuses_of_the_embed_are_type_errors() {
    let (ok, out) = tsc("tsconfig.misuse.json");
    assert!(!ok, "tsc accepted misuse.ts:\n{out}");
    let source = std::fs::read_to_string(xtask::root().join("tests/types/misuse.ts")).unwrap();
    let expected: Vec<(usize, &str)> = source
        .lines()
        .enumerate()
        .filter_map(|(i, line)| Some((i + 1, line.rsplit_once("// ")?.1.trim())))
        .filter(|(_, code)| code.starts_with("TS"))
        .collect();
    assert_eq!(expected.len(), 4);
    for (line, code) in expected {
        let prefix = format!("tests/types/misuse.ts({line},");
        assert!(
            out.lines()
                .any(|l| l.contains(&prefix) && l.contains(&format!("error {code}:"))),
            "line {line} should fail with {code}:\n{out}"
        );
    }
}
