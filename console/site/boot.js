// Loads the console's wasm (its `start` function mounts the app on #console).
import init from './console.js';

init({ module_or_path: new URL('./console_bg.wasm', import.meta.url) }).catch((e) => {
  const root = document.getElementById('console');
  if (root) root.textContent = `The console could not start: ${e}`;
});
