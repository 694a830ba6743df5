/**
 * The plain pages the consent flow shows a person's browser when it cannot send them on: the
 * callback without a usable state, and a reconnect link that is unknown, expired or revoked.
 * Quiet on purpose (the emulator's consent page is the model): a title, what happened, what to do.
 */
export function renderNoticePage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f4f4f6;
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #161823; }
  main { width: min(420px, 92vw); background: #fff; border-radius: 14px; padding: 28px; box-sizing: border-box;
         box-shadow: 0 8px 30px rgba(0, 0, 0, .08); }
  h1 { font-size: 20px; margin: 0 0 8px; }
  p { margin: 0; color: #3d404a; }
</style>
</head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body>
</html>`;
}

/** The page a person sees when a callback has no usable state to send them back with. */
export function renderCallbackErrorPage(message: string): string {
  return renderNoticePage('Sign-in could not be completed', message);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
