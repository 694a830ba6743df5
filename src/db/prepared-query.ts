import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Stands for a parameter while the query is built: the compiled query holds it where the value goes.
 * Typed `never` so that it fits wherever a value of any column may go.
 */
export type Placeholder<Name extends string> = (name: Name) => never;

/**
 * A query built and compiled once per database engine, then executed with each call's values.
 * Kysely builds a query's operation tree and compiles it to SQL on every call, which was 8–14 % of
 * the hot routes' time (docs/performance.md); the SQL of a query whose shape is fixed never changes,
 * only its parameter values do. `build` gets a placeholder per name (`p('projectId')`); each one it
 * uses must end up a bound parameter (not inlined in the SQL), which is checked when it is compiled.
 * Values of names the query does not use are ignored.
 */
export function preparedQuery<Row, Name extends string>(
  names: readonly Name[],
  build: (db: Kysely<Database>, p: Placeholder<Name>) => Compilable<Row>,
): (db: Kysely<Database>, values: Readonly<Record<Name, unknown>>) => Promise<Row[]> {
  // Keyed by the engine's adapter, which a database shares with its transactions.
  const compiledByAdapter = new WeakMap<object, { compiled: CompiledQuery<Row>; slots: Array<Name | null> }>();
  const compile = (db: Kysely<Database>) => {
    const markers = new Map<string, Name>(names.map((name) => [`\u0000placeholder:${name}\u0000`, name]));
    const used = new Set<Name>();
    const placeholder = (name: Name) => {
      used.add(name);
      return `\u0000placeholder:${name}\u0000` as never;
    };
    const compiled = build(db, placeholder).compile();
    const slots = compiled.parameters.map((value) => (typeof value === 'string' ? (markers.get(value) ?? null) : null));
    if (new Set(slots.filter((slot) => slot !== null)).size !== used.size || compiled.sql.includes('\u0000placeholder:')) {
      throw new Error(`preparedQuery: not every placeholder is a bound parameter of ${compiled.sql}`);
    }
    return { compiled, slots };
  };
  return async (db, values) => {
    const adapter = db.getExecutor().adapter;
    let prepared = compiledByAdapter.get(adapter);
    if (!prepared) compiledByAdapter.set(adapter, (prepared = compile(db)));
    const { compiled, slots } = prepared;
    const parameters = compiled.parameters.map((value, index) => {
      const slot = slots[index];
      return slot == null ? value : values[slot];
    });
    const result = await db.executeQuery<Row>({ ...compiled, parameters });
    return result.rows;
  };
}

/**
 * One prepared query per combination of a list's optional filters (which filters are present, not
 * their values), or per number of values in a list, each built when first asked for.
 */
export function preparedPerShape<Shape extends Record<string, boolean | number>, Query>(build: (shape: Shape) => Query): (shape: Shape) => Query {
  const byShape = new Map<string, Query>();
  return (shape) => {
    const key = JSON.stringify(shape);
    let query = byShape.get(key);
    if (!query) byShape.set(key, (query = build(shape)));
    return query;
  };
}

/**
 * An insert of one whole row of `table`, prepared once (as `preparedQuery`), every column a
 * parameter. `columns` must name every column of the table, or the call does not compile (the error
 * names the missing ones): a column added to the table later cannot be left out of the insert.
 */
export function preparedInsert<Table extends keyof Database & string, const Columns extends ReadonlyArray<keyof Database[Table] & string>>(
  table: Table,
  columns: Columns & ([Exclude<keyof Database[Table], Columns[number]>] extends [never] ? unknown : { missing: Exclude<keyof Database[Table], Columns[number]> }),
): (db: Kysely<Database>, row: Readonly<Record<Columns[number], unknown>>) => Promise<unknown> {
  // Kysely cannot type an insert into a table named by a type parameter; the values are placeholders,
  // which fit any column (`never`), and the list above is checked against the table instead.
  return preparedQuery(columns, (db, p) => db.insertInto(table).values(Object.fromEntries(columns.map((column) => [column, p(column)])) as never));
}
