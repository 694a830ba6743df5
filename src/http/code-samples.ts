import type { SdkOperation } from './sdk-operations.ts';

/** One entry of an operation's `x-codeSamples` (the extension Redoc, Scalar and others render). */
export interface CodeSample {
  lang: 'Shell' | 'TypeScript' | 'Python';
  label: 'curl' | 'TypeScript' | 'Python';
  source: string;
}

export interface SampleRoute {
  /** Upper-case HTTP method. */
  method: string;
  /** OpenAPI path template, `{param}` placeholders. */
  path: string;
  baseUrl: string;
  /** Whether the route replays on `Idempotency-Key` (the SDKs then send one; the curl sample shows it). */
  honoursIdempotencyKey: boolean;
}

/** A fixed example value: samples are documentation, and a stable one keeps the document stable. */
const EXAMPLE_IDEMPOTENCY_KEY = '8e03978e-40d5-43e8-bc93-6894a57f9324';

/**
 * The same call three ways, from one row of `SDK_OPERATIONS`: the SDK rule is the renderer's rule
 * (path parameters fill the path; the other arguments are the query string of a GET and the JSON
 * body of anything else), so the three samples send the same request.
 */
export function renderCodeSamples(route: SampleRoute, operation: SdkOperation): CodeSample[] {
  return [
    { lang: 'Shell', label: 'curl', source: curlSample(route, operation.example) },
    { lang: 'TypeScript', label: 'TypeScript', source: typeScriptSample(operation) },
    { lang: 'Python', label: 'Python', source: pythonSample(operation) },
  ];
}

/** `social.createOAuthUrl` → `social.create_oauth_url`: the Python SDK's name for a TypeScript one. */
export function pythonMethodName(method: string): string {
  return method.split('.').map(snakeCase).join('.');
}

export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function splitArguments(route: SampleRoute, example: Record<string, unknown>) {
  const pathNames = new Set([...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]));
  const rest = Object.fromEntries(Object.entries(example).filter(([name]) => !pathNames.has(name)));
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(example[name])));
  return route.method === 'GET' ? { path, query: rest, body: null } : { path, query: {}, body: Object.keys(rest).length > 0 ? rest : null };
}

function curlSample(route: SampleRoute, example: Record<string, unknown>): string {
  const { path, query, body } = splitArguments(route, example);
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
  }
  const url = `${route.baseUrl}${path}${search.size > 0 ? `?${search}` : ''}`;
  // curl sends POST when it has a body (-d), GET otherwise; anything else is spelled out.
  const implied = body ? 'POST' : 'GET';
  const lines = [`curl ${route.method === implied ? '' : `-X ${route.method} `}${search.size > 0 ? `"${url}"` : url}`];
  lines.push('-H "Authorization: Bearer $LAYERS_API_KEY"');
  if (route.honoursIdempotencyKey) lines.push(`-H "Idempotency-Key: ${EXAMPLE_IDEMPOTENCY_KEY}"`);
  if (body) {
    lines.push('-H "Content-Type: application/json"');
    lines.push(`-d '${JSON.stringify(body, null, 2).replaceAll('\n', '\n  ').replaceAll("'", "'\\''")}'`);
  }
  return lines.join(' \\\n  ');
}

function typeScriptSample(operation: SdkOperation): string {
  const entries = Object.entries(operation.example);
  const args = entries.length === 0 ? '' : `{\n${entries.map(([name, value]) => `  ${tsKey(name)}: ${tsValue(value)},`).join('\n')}\n}`;
  return `const result = await layers.${operation.method}(${args});`;
}

function pythonSample(operation: SdkOperation): string {
  const entries = Object.entries(operation.example);
  const args = entries.length === 0 ? '' : `\n${entries.map(([name, value]) => `    ${snakeCase(name)}=${pythonValue(value)},`).join('\n')}\n`;
  return `result = layers.${pythonMethodName(operation.method)}(${args})`;
}

function tsKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

function tsValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tsValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value).map(([k, v]) => `${tsKey(k)}: ${tsValue(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

function pythonValue(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map(pythonValue).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${pythonValue(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The bundled reference page (Swagger UI) does not render `x-codeSamples`, so the page it loads
 * gets them appended to each operation's description: the three samples side by side.
 */
export function codeSamplesHtml(samples: readonly CodeSample[]): string {
  const cell = (text: string) => `<td><pre><code>${escapeHtml(text)}</code></pre></td>`;
  return [
    '<table>',
    `<thead><tr>${samples.map((sample) => `<th>${sample.label}</th>`).join('')}</tr></thead>`,
    `<tbody><tr>${samples.map((sample) => cell(sample.source)).join('')}</tr></tbody>`,
    '</table>',
  ].join('');
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
