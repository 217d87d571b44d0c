import type { ServicePageProps } from "../../services.ts";
import { CreateFunctionPage } from "./create.tsx";
import { FunctionDetail } from "./detail.tsx";
import { FunctionsList } from "./functions.tsx";
import { segment } from "./shared.ts";

export default function Page({ path }: ServicePageProps) {
  if (path[0] === "create") return <CreateFunctionPage />;
  if (path[0] === "functions" && path[1]) return <FunctionDetail name={segment(path[1])} />;
  return <FunctionsList />;
}
