/** Runs the demo booking API on its own: `tsx scripts/demo-api/main.ts` (PORT, default 4010; DEMO_API_TOKEN). */
import { createDemoApi } from './app';

const port = Number(process.env.PORT ?? 4010);
const { app } = createDemoApi({ token: process.env.DEMO_API_TOKEN });
app.listen(port, '127.0.0.1', () => console.log(`[demo-api] listening on http://127.0.0.1:${port}`));
