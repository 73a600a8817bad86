/**
 * A small in-memory DynamoDB for unit tests: implements `send` for the commands the adapter uses and
 * evaluates the subset of condition/update expressions it writes (=, AND, OR, parentheses,
 * attribute_exists, attribute_not_exists, begins_with; SET with values, REMOVE). Faults are
 * injected per call: fail before applying (not applied) or after applying (unknown outcome).
 */
import {
  type AttributeValue,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type TableDescription,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/** A fake table. */
export interface FakeTable {
  description: TableDescription;
  items: Map<string, Item>;
  /** DescribeTable calls still answered with the current status before it turns ACTIVE (CREATING tables). */
  describesUntilActive: number;
}

/** An injected fault: `when` picks the call, `error` is thrown `before` or `after` applying it. */
export interface Fault {
  when: (commandName: string, input: Record<string, unknown>) => boolean;
  error: () => Error;
  phase: 'before' | 'after';
  /** How many calls it hits (default 1). */
  times?: number;
}

/** Builds an error shaped like the SDK's. */
export function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  const error = new Error(`${name} (injected)`);
  error.name = name;
  Object.assign(error, { $metadata: { httpStatusCode: name === 'InternalServerError' ? 500 : 400 } }, extra);
  return error;
}

/** A network error shaped like Node's. */
export function networkError(code: string, name = 'Error'): Error {
  const error = new Error(`${code} (injected)`);
  error.name = name;
  Object.assign(error, { code, $metadata: {} });
  return error;
}

class Tokenizer {
  readonly tokens: string[];
  position = 0;
  constructor(text: string) {
    this.tokens = text.match(/[#:][A-Za-z0-9_]+|[A-Za-z_]+|[(),=]/g) ?? [];
  }
  peek(): string | undefined {
    return this.tokens[this.position];
  }
  next(): string {
    const token = this.tokens[this.position++];
    if (token === undefined) throw new Error('fake dynamodb: unexpected end of expression');
    return token;
  }
  expect(token: string): void {
    const got = this.next();
    if (got !== token) throw new Error(`fake dynamodb: expected ${token}, got ${got}`);
  }
}

function equal(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Evaluates a condition expression against an item (undefined item = absent). */
export function evaluateCondition(
  expression: string,
  item: Item | undefined,
  names: Record<string, string>,
  values: Record<string, AttributeValue>,
): boolean {
  const t = new Tokenizer(expression);
  const attr = (placeholder: string): AttributeValue | undefined => {
    const name = names[placeholder];
    if (name === undefined) throw new Error(`fake dynamodb: unknown name ${placeholder}`);
    return item?.[name];
  };
  const value = (placeholder: string): AttributeValue => {
    const v = values[placeholder];
    if (v === undefined) throw new Error(`fake dynamodb: unknown value ${placeholder}`);
    return v;
  };
  const primary = (): boolean => {
    const token = t.next();
    if (token === '(') {
      const result = or();
      t.expect(')');
      return result;
    }
    if (token === 'attribute_exists' || token === 'attribute_not_exists' || token === 'begins_with') {
      t.expect('(');
      const a = attr(t.next());
      if (token === 'begins_with') {
        t.expect(',');
        const prefix = value(t.next()).S ?? '';
        t.expect(')');
        return typeof a?.S === 'string' && a.S.startsWith(prefix);
      }
      t.expect(')');
      return token === 'attribute_exists' ? a !== undefined : a === undefined;
    }
    if (token.startsWith('#')) {
      t.expect('=');
      return equal(attr(token), value(t.next()));
    }
    throw new Error(`fake dynamodb: unsupported token ${token}`);
  };
  const and = (): boolean => {
    let result = primary();
    while (t.peek() === 'AND') {
      t.next();
      const right = primary();
      result = result && right;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (t.peek() === 'OR') {
      t.next();
      const right = and();
      result = result || right;
    }
    return result;
  };
  const result = or();
  if (t.peek() !== undefined) throw new Error(`fake dynamodb: trailing token ${t.peek()}`);
  return result;
}

/** Applies `SET #a = :v, ... REMOVE #b, ...` to a copy of `item`. */
export function applyUpdate(
  expression: string,
  item: Item,
  names: Record<string, string>,
  values: Record<string, AttributeValue>,
): Item {
  const result: Item = { ...item };
  const t = new Tokenizer(expression);
  let mode: 'SET' | 'REMOVE' | undefined;
  while (t.peek() !== undefined) {
    const token = t.next();
    if (token === 'SET' || token === 'REMOVE') {
      mode = token;
      continue;
    }
    if (token === ',') continue;
    const name = names[token];
    if (name === undefined) throw new Error(`fake dynamodb: unknown name ${token}`);
    if (mode === 'SET') {
      t.expect('=');
      const placeholder = t.next();
      const v = values[placeholder];
      if (v === undefined) throw new Error(`fake dynamodb: unknown value ${placeholder}`);
      result[name] = v;
    } else if (mode === 'REMOVE') {
      delete result[name];
    } else {
      throw new Error(`fake dynamodb: bad update ${expression}`);
    }
  }
  return result;
}

function conditionFailed(): Error {
  return sdkError('ConditionalCheckFailedException');
}

/** The fake. `asClient()` gives it the `DynamoDBClient` type the adapter expects. */
export class FakeDynamoDB {
  readonly tables = new Map<string, FakeTable>();
  readonly calls: { command: string; input: Record<string, unknown> }[] = [];
  readonly faults: Fault[] = [];
  /** Items per Scan page (to exercise paging). */
  scanPageSize = 100;
  destroyed = false;
  readonly config = { region: async () => 'eu-west-1' };

  /** Adds a table with the given key schema (default: HASH `shard` S). */
  addTable(
    name: string,
    key: { name: string; type: 'S' | 'N' | 'B'; range?: string } = { name: 'shard', type: 'S' },
    status = 'ACTIVE',
  ): FakeTable {
    const table: FakeTable = {
      description: {
        TableName: name,
        TableStatus: status as TableDescription['TableStatus'],
        TableArn: `arn:aws:dynamodb:eu-west-1:000000000000:table/${name}`,
        KeySchema: [
          { AttributeName: key.name, KeyType: 'HASH' },
          ...(key.range ? [{ AttributeName: key.range, KeyType: 'RANGE' as const }] : []),
        ],
        AttributeDefinitions: [
          { AttributeName: key.name, AttributeType: key.type },
          ...(key.range ? [{ AttributeName: key.range, AttributeType: 'S' as const }] : []),
        ],
      },
      items: new Map(),
      describesUntilActive: 2,
    };
    this.tables.set(name, table);
    return table;
  }

  /** Injects a fault. */
  inject(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Count of calls per command name. */
  count(command: string): number {
    return this.calls.filter((c) => c.command === command).length;
  }

  asClient(): DynamoDBClient {
    return this as unknown as DynamoDBClient;
  }

  destroy(): void {
    this.destroyed = true;
  }

  async send(command: { input: Record<string, unknown> }): Promise<unknown> {
    const name = command.constructor.name;
    const input = structuredClone(command.input);
    this.calls.push({ command: name, input });
    const fault = this.faults.find((f) => f.when(name, input));
    if (fault !== undefined) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    }
    if (fault?.phase === 'before') throw fault.error();
    const output = this.#apply(command, input);
    if (fault?.phase === 'after') throw fault.error();
    return output;
  }

  #table(input: Record<string, unknown>): FakeTable {
    const table = this.tables.get(String(input.TableName));
    if (table === undefined) throw sdkError('ResourceNotFoundException');
    return table;
  }

  #keyOf(table: FakeTable, key: Item): string {
    const hash = table.description.KeySchema?.[0]?.AttributeName ?? 'shard';
    const type = table.description.AttributeDefinitions?.[0]?.AttributeType ?? 'S';
    const value = key[hash];
    const present = value?.[type as 'S'];
    if (present === undefined)
      throw sdkError('ValidationException', {
        message: 'The provided key element does not match the schema',
      });
    return String(present);
  }

  #apply(command: unknown, input: Record<string, unknown>): unknown {
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
    if (command instanceof DescribeTableCommand) {
      const table = this.#table(input);
      if (table.description.TableStatus === 'CREATING' && table.describesUntilActive-- <= 0)
        table.description.TableStatus = 'ACTIVE';
      return { Table: structuredClone(table.description) };
    }
    if (command instanceof CreateTableCommand) {
      const name = String(input.TableName);
      if (this.tables.has(name)) throw sdkError('ResourceInUseException');
      const defs = input.AttributeDefinitions as { AttributeName: string; AttributeType: 'S' }[];
      const table = this.addTable(
        name,
        { name: defs[0]?.AttributeName ?? '', type: defs[0]?.AttributeType ?? 'S' },
        'CREATING',
      );
      return { TableDescription: structuredClone(table.description) };
    }
    if (command instanceof UpdateTimeToLiveCommand) throw sdkError('UnknownOperationException');
    const table = this.#table(input);
    if (command instanceof GetItemCommand) {
      const item = table.items.get(this.#keyOf(table, input.Key as Item));
      return item === undefined ? {} : { Item: structuredClone(item) };
    }
    if (command instanceof PutItemCommand) {
      const item = input.Item as Item;
      const key = this.#keyOf(table, item);
      const existing = table.items.get(key);
      if (
        typeof input.ConditionExpression === 'string' &&
        !evaluateCondition(input.ConditionExpression, existing, names, values)
      ) {
        throw conditionFailed();
      }
      table.items.set(key, structuredClone(item));
      return {};
    }
    if (command instanceof UpdateItemCommand) {
      const keyItem = input.Key as Item;
      const key = this.#keyOf(table, keyItem);
      const existing = table.items.get(key);
      if (
        typeof input.ConditionExpression === 'string' &&
        !evaluateCondition(input.ConditionExpression, existing, names, values)
      ) {
        throw conditionFailed();
      }
      const updated = applyUpdate(String(input.UpdateExpression), existing ?? { ...keyItem }, names, values);
      table.items.set(key, updated);
      return input.ReturnValues === 'ALL_NEW' ? { Attributes: structuredClone(updated) } : {};
    }
    if (command instanceof ScanCommand) {
      const all = [...table.items.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const total = typeof input.TotalSegments === 'number' ? input.TotalSegments : 1;
      const segment = typeof input.Segment === 'number' ? input.Segment : 0;
      const inSegment = all.filter((_, index) => index % total === segment);
      const start =
        input.ExclusiveStartKey === undefined
          ? 0
          : inSegment.findIndex(([k]) => k === this.#keyOf(table, input.ExclusiveStartKey as Item)) + 1;
      const page = inSegment.slice(start, start + this.scanPageSize);
      const filter = input.FilterExpression;
      const items = page
        .map(([, item]) => item)
        .filter((item) => typeof filter !== 'string' || evaluateCondition(filter, item, names, values))
        .map((item) => structuredClone(item));
      const last = page.at(-1);
      const more = start + this.scanPageSize < inSegment.length;
      const hash = table.description.KeySchema?.[0]?.AttributeName ?? 'shard';
      return {
        Items: items,
        ...(more && last !== undefined ? { LastEvaluatedKey: { [hash]: last[1][hash] } } : {}),
      };
    }
    throw new Error(`fake dynamodb: unsupported command ${String((command as object).constructor.name)}`);
  }
}
