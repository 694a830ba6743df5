/** Query strings and form bodies as name → all submitted values (checkboxes repeat a name). */
export type FormValues = Record<string, string[]>;

export function toFormValues(raw: unknown): FormValues {
  const values: FormValues = {};
  if (typeof raw !== 'object' || raw === null) return values;
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') values[name] = [value];
    else if (Array.isArray(value)) values[name] = value.filter((item): item is string => typeof item === 'string');
  }
  return values;
}

/** The first value of a field; empty strings count as absent, as the platforms treat them. */
export function firstValue(values: FormValues, name: string): string | undefined {
  const value = values[name]?.[0];
  return value === '' ? undefined : value;
}
