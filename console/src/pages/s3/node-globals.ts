// `buffer` (a dependency of @aws-sdk/lib-storage) reads Node's `global` when it loads. Imported
// first by the S3 pages' entry so it runs before that module does.
const g = globalThis as { global?: unknown };
g.global ??= globalThis;
export {};
