export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__PARLEY_SERVERS__ ?? [];
  await Promise.all(servers.map((server) => server.stop()));
}
