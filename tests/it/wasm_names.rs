//! The build's wasm ↔ JS boundary rewrite (`xtask::wasm_names`), on a small module and glue
//! shaped like wasm-bindgen's, run for real in Node afterwards.

use std::process::Command;

use wasm_encoder::{
    CodeSection, ExportKind, ExportSection, Function, FunctionSection, ImportSection, Instruction,
    Module, TypeSection, ValType,
};
use wasmparser::{Parser, Payload};
use xtask::wasm_names::{Report, shrink};

const DOUBLE: &str = "__wbg_double_0123456789abcdef";
const QUADRUPLE: &str = "wasm_bindgen_1234___convert__closures_____invoke___quadruple";

/// Imports `DOUBLE` from the glue; exports `QUADRUPLE` (double twice), `memoryless_unused`
/// (never called by the glue) and `QUADRUPLE_1` whose name extends `QUADRUPLE`'s.
fn module() -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    let mut imports = ImportSection::new();
    imports.import("./x_bg.js", DOUBLE, wasm_encoder::EntityType::Function(0));
    let mut functions = FunctionSection::new();
    functions.function(0);
    functions.function(0);
    let mut exports = ExportSection::new();
    exports.export(QUADRUPLE, ExportKind::Func, 1);
    exports.export("memoryless_unused", ExportKind::Func, 2);
    exports.export(&format!("{QUADRUPLE}_1"), ExportKind::Func, 2);
    let mut code = CodeSection::new();
    let mut quadruple = Function::new([]);
    quadruple
        .instruction(&Instruction::LocalGet(0))
        .instruction(&Instruction::Call(0))
        .instruction(&Instruction::Call(0))
        .instruction(&Instruction::End);
    code.function(&quadruple);
    let mut plus_one = Function::new([]);
    plus_one
        .instruction(&Instruction::LocalGet(0))
        .instruction(&Instruction::I32Const(1))
        .instruction(&Instruction::I32Add)
        .instruction(&Instruction::End);
    code.function(&plus_one);
    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&functions)
        .section(&exports)
        .section(&code);
    module.finish()
}

fn glue(import_key: &str) -> String {
    format!(
        r#"let wasm;
function __wbg_get_imports() {{
    const import0 = {{
        __proto__: null,
        {import_key}: function(arg0) {{ return arg0 * 2; }},
    }};
    return {{ __proto__: null, "./x_bg.js": import0 }};
}}
function {QUADRUPLE}(x) {{ return wasm.{QUADRUPLE}(x); }}
export function run(x) {{ return {QUADRUPLE}(x) * 1000 + wasm.{QUADRUPLE}_1(x); }}
export function init(bytes) {{
    wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes), __wbg_get_imports()).exports;
}}
"#
    )
}

fn names(wasm: &[u8]) -> (Vec<(String, String)>, Vec<String>) {
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::ImportSection(r) => {
                for i in r.into_imports() {
                    let i = i.unwrap();
                    imports.push((i.module.to_owned(), i.name.to_owned()));
                }
            }
            Payload::ExportSection(r) => {
                exports.extend(r.into_iter().map(|e| e.unwrap().name.to_owned()));
            }
            _ => {}
        }
    }
    (imports, exports)
}

#[test]
fn names_shrink_on_both_sides_and_the_pair_still_runs() {
    let (wasm, js, report) = shrink(&module(), &glue(DOUBLE), "./x_bg.js").unwrap();
    wasmparser::validate(&wasm).unwrap();
    assert_eq!(
        report,
        Report {
            imports_renamed: 1,
            exports_renamed: 2,
            exports_dropped: vec!["memoryless_unused".into()],
        }
    );
    let (imports, exports) = names(&wasm);
    assert_eq!(imports, [("w".to_owned(), "_0".to_owned())]);
    assert_eq!(exports, ["_1", "_2"]);
    assert!(!js.contains(DOUBLE) && !js.contains("./x_bg.js"), "{js}");
    assert!(
        js.contains("_0: function") && js.contains("\"w\": import0"),
        "{js}"
    );
    // The glue's own function of the same name as an export is left alone; calls through
    // `wasm.` follow the rename, the longer name included.
    assert!(js.contains(&format!("function {QUADRUPLE}(x)")), "{js}");
    assert!(
        js.contains("wasm._1(x)") && js.contains("wasm._2(x)"),
        "{js}"
    );

    // And it runs: 5 doubled twice through the renamed import, then the other export.
    let dir = std::env::temp_dir().join(format!("cairn-wasm-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("glue.mjs"), &js).unwrap();
    std::fs::write(dir.join("m.wasm"), &wasm).unwrap();
    let out = Command::new("node")
        .arg("--input-type=module")
        .arg("-e")
        .arg(
            "import { init, run } from './glue.mjs'; import fs from 'node:fs'; \
             init(fs.readFileSync('m.wasm')); console.log(run(5));",
        )
        .current_dir(&dir)
        .output()
        .expect("node runs");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "20006");
}

#[test]
fn a_glue_that_does_not_match_fails_the_build_with_the_name() {
    // The import is not defined by the glue.
    let err = shrink(
        &module(),
        &glue("__wbg_other_fedcba9876543210"),
        "./x_bg.js",
    )
    .unwrap_err();
    assert!(err.to_string().contains(DOUBLE), "{err}");
    // The import is defined twice.
    let twice = glue(DOUBLE).replace(
        "__proto__: null,\n",
        &format!("__proto__: null, {DOUBLE}: 1,\n"),
    );
    let err = shrink(&module(), &twice, "./x_bg.js").unwrap_err();
    assert!(err.to_string().contains("2 times"), "{err}");
    // The glue calls an export the wasm does not have.
    let extra = glue(DOUBLE) + "export const f = () => wasm.gone();\n";
    let err = shrink(&module(), &extra, "./x_bg.js").unwrap_err();
    assert!(err.to_string().contains("wasm.gone"), "{err}");
    // The import module is named differently.
    let err = shrink(&module(), &glue(DOUBLE), "./y_bg.js").unwrap_err();
    assert!(err.to_string().contains("./y_bg.js"), "{err}");
}
