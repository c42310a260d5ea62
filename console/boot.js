// Loads the console after the browser has painted its first frame.
//
// The page's header and navigation are plain HTML. A module script in the head makes the
// browser fetch and evaluate the whole module graph (app.js and every view) before that first
// frame; importing it one frame later lets the header paint first (bench/console_paint.mjs:
// about 8 ms less to the first paint, and the same time to the first rows). The timer
// fallback starts it in a tab that paints no frames (opened in the background).
let started = false;
function start() {
  if (started) return;
  started = true;
  import('./app.js').catch((err) => {
    console.error('glassgate console: cannot load app.js:', err);
  });
}
requestAnimationFrame(() => setTimeout(start, 0));
setTimeout(start, 250);
