/** The version tag of restock's recommendations (the allocation model), on its decisions and answers. */
export const RESTOCK_MODEL_VERSION = 'restock.allocation@2';
