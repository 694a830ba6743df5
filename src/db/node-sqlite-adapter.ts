import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

const STATEMENT_CACHE_SIZE = 256;

/**
 * Presents `node:sqlite` as the better-sqlite3-shaped database Kysely's SqliteDialect expects.
 * The one thing Kysely needs to know per statement is whether it returns rows (`reader`);
 * node:sqlite tells us through the statement's result columns.
 */
export function adaptNodeSqlite(database: DatabaseSync): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      const cached = cache.get(sql);
      if (cached) return cached;
      const statement = wrapStatement(database.prepare(sql));
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
      return statement;
    },
  };
}

function wrapStatement(statement: StatementSync): SqliteStatement {
  const columnNames = statement.columns().map((column) => column.name);
  if (columnNames.length === 0) {
    return {
      reader: false,
      all: (parameters) => statement.all(...toSqliteValues(parameters)),
      run: (parameters) => changesOf(statement, parameters),
      iterate: (parameters) => statement.iterate(...toSqliteValues(parameters)),
    };
  }
  // A row as an array, made an object here: node:sqlite builds an object row with a new string per
  // column name per row, into an object V8 keeps as a dictionary, so building and then reading a page
  // of 50 rows cost about twice this (docs/performance.md). The object is an object literal compiled
  // once per statement: assigning the names in a loop made every store look up the object's shape.
  // Same keys as node:sqlite's, a later duplicate name winning.
  statement.setReturnArrays(true);
  const toRow = rowBuilder(columnNames);
  return {
    reader: true,
    all: (parameters) => statement.all(...toSqliteValues(parameters)).map(toRow),
    run: (parameters) => changesOf(statement, parameters),
    *iterate(parameters) {
      for (const values of statement.iterate(...toSqliteValues(parameters))) yield toRow(values);
    },
  };
}

function rowBuilder(columnNames: string[]): (values: unknown) => Record<string, unknown> {
  if (columnNames.includes('__proto__')) {
    return (values) => Object.fromEntries(columnNames.map((name, index) => [name, (values as unknown[])[index]]));
  }
  const fields = columnNames.map((name, index) => `${JSON.stringify(name)}: values[${index}]`).join(', ');
  return new Function('values', `return { ${fields} };`) as (values: unknown) => Record<string, unknown>;
}

function changesOf(statement: StatementSync, parameters: ReadonlyArray<unknown>) {
  const { changes, lastInsertRowid } = statement.run(...toSqliteValues(parameters));
  return { changes, lastInsertRowid };
}

/** node:sqlite binds neither booleans nor undefined; SQLite itself stores booleans as 0/1. */
function toSqliteValues(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === undefined) return null;
    return value as SQLInputValue;
  });
}
