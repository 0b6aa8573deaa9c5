// Loads the engine's validator (console/validator, wasm) the first time the definitions editor
// needs it: the console's other pages never download it.
let loading = null;

export function loadValidator() {
  if (!loading) {
    loading = import("/console/validator/cairn_validator.js").then(async (m) => {
      await m.default({ module_or_path: "/console/validator/cairn_validator_bg.wasm" });
      return m;
    });
  }
  return loading;
}
