/** Absolute path of the built dashboard (index.html and its hashed assets). */
export declare const assetsDir: string;
