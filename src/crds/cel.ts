import type { z } from 'zod';

/**
 * One CEL validation rule for `x-kubernetes-validations`. `check` mirrors the rule in TypeScript so
 * that zod parsing rejects what the API server rejects; transition rules (those using `oldSelf`)
 * cannot be mirrored because a parse never sees the old object, so they leave `check` out.
 */
export interface CelRule<T> {
  rule: string;
  message: string;
  /** JSONPath (relative to the node carrying the rule) that the API server reports the error on. */
  fieldPath?: string;
  check?: (value: T) => boolean;
}

/** Attaches CEL rules to a schema (as one `x-kubernetes-validations` list) plus their zod mirrors. */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly CelRule<z.output<S>>[]): S {
  const validations = rules.map(({ rule, message, fieldPath }) =>
    fieldPath === undefined ? { rule, message } : { rule, message, fieldPath },
  );
  let out = schema.meta({ 'x-kubernetes-validations': validations }) as S;
  for (const { check, message } of rules) {
    if (check) out = out.refine((value) => check(value as z.output<S>), { message }) as S;
  }
  return out;
}

/**
 * Transition rule that makes an optional field of an object immutable: it may be neither added,
 * removed nor changed after creation. A rule on the field itself would only catch changes, because
 * the API server skips field-level transition rules when the field is absent on either side.
 */
export function immutableField(field: string): CelRule<unknown> {
  // CEL reserved words appear escaped (`import` is `__import__`); messages use the real name.
  const name = field.replace(/^__(.*)__$/, '$1');
  return {
    rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
    message: `${name} is immutable`,
    fieldPath: `.${name}`,
  };
}

/** Transition rule for a required field (always present on both sides). */
export function immutableRequiredField(field: string): CelRule<unknown> {
  return {
    rule: `self.${field} == oldSelf.${field}`,
    message: `${field} is immutable`,
    fieldPath: `.${field}`,
  };
}
