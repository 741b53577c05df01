/**
 * @module
 * The emulated Docker Model Runner that scripts/image-test.sh runs on the host for the container
 * to reach over the host network: `bun scripts/image/dmr.ts` prints its port, then serves until
 * stopped. Streams are slowed (ten tokens, 200 ms apart) so that one is still open when the test
 * stops the container.
 */
import { startDmr } from "../../tests/emulators/dmr.ts";

const tokens = ["One", " two", " three", " four", " five", " six", " seven", " eight", " nine", " ten"];
const dmr = await startDmr({ chunkDelayMs: 200, tokens });
console.log(dmr.port);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => void dmr.stop().then(() => process.exit(0)));
}
