/**
 * Whether this run is the real-backend leg: TUREEN_TEST_BACKEND=real and the toolchain built by
 * scripts/real-backends.mjs present. scripts/test.mjs sets the variable, and says in one line why
 * the leg is skipped when the toolchain is missing.
 */
import { MANIFEST } from "./_backends.ts";

export const REAL_ENABLED = process.env.TUREEN_TEST_BACKEND === "real" && MANIFEST !== undefined;
