import AjvCompiler from '@fastify/ajv-compiler';

type BuildValidator = ReturnType<typeof AjvCompiler>;

/**
 * Query strings, path parameters and headers arrive as text, so their numbers and booleans must be
 * coerced ("?limit=20"). A JSON body carries real types: `{"port": "22"}` or `{"privileged": "false"}`
 * is a client bug or an attack on a check that reads the field before the schema converts it, so the
 * body is validated without coercion and a wrong type is a 400 naming the field.
 */
const coercing = AjvCompiler();
const strict = AjvCompiler();

export const strictBodyValidators: BuildValidator = (externalSchemas, options) => {
  const forText = coercing(externalSchemas, options);
  const custom = (options?.customOptions ?? {}) as Record<string, unknown>;
  const forBody = strict(externalSchemas, {
    ...options,
    customOptions: { ...custom, coerceTypes: false },
  } as Parameters<BuildValidator>[1]);
  return (route) => (route.httpPart === 'body' ? forBody : forText)(route);
};
