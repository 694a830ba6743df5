/** Text that goes out as it is: brackets, separators and `"key":` prefixes. */
class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/**
 * JSON with object keys sorted, so two bodies that mean the same hash the same. Iterative (an
 * explicit stack, not recursion), so no nesting depth can overflow the call stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (item instanceof Raw) {
      out.push(item.text);
    } else if (Array.isArray(item)) {
      const parts: unknown[] = [new Raw('[')];
      item.forEach((element, i) => parts.push(...(i > 0 ? [new Raw(','), element] : [element])));
      parts.push(new Raw(']'));
      pending.push(...parts.reverse());
    } else if (item && typeof item === 'object') {
      const entries = Object.entries(item as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const parts: unknown[] = [new Raw('{')];
      entries.forEach(([k, v], i) => parts.push(new Raw(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`), v));
      parts.push(new Raw('}'));
      pending.push(...parts.reverse());
    } else {
      out.push(JSON.stringify(item) ?? 'null');
    }
  }
  return out.join('');
}
