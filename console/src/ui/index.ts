export * from "./async.ts";
export * from "./components.tsx";
export * from "./table.tsx";
export * from "./chart.tsx";
