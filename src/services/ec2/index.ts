/** Amazon EC2: regions and zones now; instances, networking and storage with the EC2 issue. */
import { defineService } from "../../core/service.js";
import type { Ec2Operations } from "../../generated/ec2.js";
import { handlers } from "./provider.js";

export const ec2 = defineService<Ec2Operations>({ name: "ec2", handlers });
