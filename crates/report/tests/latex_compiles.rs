//! The LaTeX output compiles with pdflatex (skipped, with a message, when pdflatex
//! is not on PATH).

mod common;

use std::process::Command;

use robocarb_report::*;

#[test]
fn latex_compiles_with_pdflatex() {
    if Command::new("pdflatex").arg("--version").output().is_err() {
        eprintln!("SKIPPED: pdflatex is not on PATH, LaTeX compilation not tested");
        return;
    }
    let paper = published().unwrap();
    let table = common::sample_table();
    let fragments = vec![
        render(&table, Format::Latex).unwrap(),
        render(&common::sample_descriptive(), Format::Latex).unwrap(),
        render(&common::sample_robot_table(), Format::Latex).unwrap(),
        render(&compare_regression(&table, &paper).unwrap(), Format::Latex).unwrap(),
        render(
            &compare_descriptive(&common::sample_descriptive(), &paper),
            Format::Latex,
        )
        .unwrap(),
        // Every special character in text positions.
        render_latex(&Grid {
            id: "specials_#1".into(),
            title: r"Specials: _ % & $ # { } ~ ^ \ < > |".into(),
            header: vec![vec![Cell::text("a_b"), Cell::text("100%")]],
            blocks: vec![vec![vec![Cell::text("x & y"), Cell::num(-1.5, 2)]]],
            notes: vec![r"Note with \textbf and $math$ and ~tilde^".into()],
        }),
    ];
    let dir = std::env::temp_dir().join(format!("robocarb-report-latex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tables.tex"), latex_document(&fragments)).unwrap();
    let out = Command::new("pdflatex")
        .args(["-interaction=nonstopmode", "-halt-on-error", "tables.tex"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "pdflatex failed:\n{log}");
    assert!(dir.join("tables.pdf").exists());
    assert!(!log.contains("Undefined control sequence"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
