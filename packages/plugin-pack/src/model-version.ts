/** The version tag of the pack recommendations (co-rental rules), on their decisions and answers. */
export const PACK_MODEL_VERSION = 'pack.rules@1';
