// Prisma CLI configuration. `engine: 'js'` + the pg adapter keep `prisma generate` offline (no schema-engine download).
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL ?? 'postgres://localhost/loupe' }),
});
