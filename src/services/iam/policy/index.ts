/** The IAM policy engine: document parsing and validation, condition operators, evaluation. */
export * from "./document.js";
export * from "./conditions.js";
export * from "./evaluator.js";
export * from "./patterns.js";
