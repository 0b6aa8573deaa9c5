//! The `cairn` binary: everything is in the library (`cairn_cli::run`).

fn main() {
    let code = cairn_cli::run(
        std::env::args().collect(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}
