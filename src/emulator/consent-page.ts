/** HTML of the emulated authorize pages: the consent form and the "bad request" page. */

export interface PlatformBranding {
  /** Shown in the title as "<name> (emulator)". */
  name: string;
  accentColor: string;
}

export interface ConsentPageModel {
  branding: PlatformBranding;
  /** Path the form posts back to. */
  action: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  /** The original query parameters, carried through the POST. */
  hiddenFields: Array<[string, string]>;
}

export const DEFAULT_CONSENT_USERNAME = 'demo_creator';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

function page(branding: PlatformBranding, content: string): string {
  const title = escapeHtml(`${branding.name} (emulator)`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f4f4f6;
         font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #161823; }
  main { width: min(420px, 92vw); background: #fff; border-radius: 14px; padding: 28px;
         box-shadow: 0 8px 30px rgba(0, 0, 0, .08); border-top: 6px solid ${escapeHtml(branding.accentColor)}; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .muted { color: #6b6f7b; font-size: 13px; margin: 0 0 18px; overflow-wrap: anywhere; }
  label.field { display: block; font-weight: 600; margin-bottom: 14px; }
  input[type=text] { display: block; width: 100%; box-sizing: border-box; margin-top: 6px; padding: 9px 11px;
                     border: 1px solid #d0d2d8; border-radius: 8px; font: inherit; }
  fieldset { border: 1px solid #e3e4e8; border-radius: 8px; padding: 10px 14px; margin: 0 0 18px; }
  legend { font-weight: 600; padding: 0 4px; }
  /* A long scope name (a full URL) wraps beside its checkbox, not below it. */
  fieldset label { display: flex; gap: 6px; align-items: baseline; padding: 3px 0; font-family: ui-monospace, monospace;
                   font-size: 13px; overflow-wrap: anywhere; }
  fieldset input { flex: none; margin: 0; }
  /* Authorize comes first in the markup so that pressing Enter approves; it is shown on the right. */
  .actions { display: flex; flex-direction: row-reverse; gap: 10px; }
  button { flex: 1; padding: 10px; border-radius: 8px; font: inherit; font-weight: 600; cursor: pointer;
           border: 1px solid #d0d2d8; background: #fff; }
  button[value=approve] { background: ${escapeHtml(branding.accentColor)}; border-color: transparent; color: #fff; }
  .error { color: #b00020; }
</style>
</head>
<body>
<main>
${content}
</main>
</body>
</html>
`;
}

export function renderConsentPage(model: ConsentPageModel): string {
  const scopeBoxes = model.scopes
    .map((scope) => `<label><input type="checkbox" name="scope" value="${escapeHtml(scope)}" checked> ${escapeHtml(scope)}</label>`)
    .join('\n');
  const hidden = model.hiddenFields
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return page(
    model.branding,
    `<h1>${escapeHtml(model.branding.name)} (emulator)</h1>
<p class="muted">App <strong>${escapeHtml(model.clientId)}</strong> wants to connect to your account and will
be sent back to ${escapeHtml(model.redirectUri)}</p>
<form method="post" action="${escapeHtml(model.action)}">
<label class="field">Log in as
<input type="text" name="username" value="${DEFAULT_CONSENT_USERNAME}" autocomplete="off" required>
</label>
<fieldset>
<legend>Permissions</legend>
${scopeBoxes}
</fieldset>
${hidden}
<div class="actions">
<button type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>`,
  );
}

export function renderErrorPage(branding: PlatformBranding, message: string): string {
  return page(
    branding,
    `<h1>${escapeHtml(branding.name)} (emulator)</h1>
<p class="error">${escapeHtml(message)}</p>`,
  );
}
