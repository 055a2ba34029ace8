// Prisma CLI configuration (Prisma 7 reads datasource URLs from here, not from schema.prisma).
//
// Deliberately dependency-free (no `import { defineConfig } from 'prisma/config'`): `prisma` is a
// devDependency of apps/server only, so it is not resolvable from the repo root. Prisma accepts a
// plain object of the `PrismaConfig` shape and runs it through defineConfig itself.
//
// Relative paths below are resolved by Prisma against this file's directory (the repo root).
// Mirador itself does not use this file at run time: the server applies migrations with the
// WASM schema engine (apps/server/src/db/migrate.ts) and opens the database through the
// better-sqlite3 driver adapter (apps/server/src/db/client.ts).
//
// Note for the URL: Prisma resolves a relative `file:` path against this file's directory.
// Nothing here throws when DATABASE_URL is unset, so `prisma generate` works in a bare checkout.

export default {
  schema: 'prisma/schema.prisma',
  migrations: {
    path: 'prisma/migrations',
  },
  datasource: {
    url: process.env.DATABASE_URL ?? 'file:./data/mirador.db',
  },
};
