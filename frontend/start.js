// Starts the app: imports wasm-bindgen's glue and has it fetch, compile and run the
// WebAssembly. Trunk writes their hashed names into this script's element (`pattern_script` in
// Trunk.toml) instead of the inline module it writes by default, so that the page has no inline
// code and a Content-Security-Policy of `script-src 'self' 'wasm-unsafe-eval'` allows it.
// A failure rejects, and boot.js shows it.
const element = document.querySelector("script[data-wasm]");
const glue = await import(element.dataset.js);
await glue.default({ module_or_path: element.dataset.wasm });
