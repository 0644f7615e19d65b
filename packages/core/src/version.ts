import pkg from '../package.json' with { type: 'json' };

/** The version of this `@rfid3/core`; plugins' `coreRange` is checked against it. */
export const CORE_VERSION: string = pkg.version;
