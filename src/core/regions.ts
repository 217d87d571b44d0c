/**
 * AWS regions and their Availability Zones. Nimbus accepts any of these as a signing region and
 * scopes state by it. AZ letters follow the zones AWS offers to new accounts; zone IDs are
 * derived as `<region-abbreviation>-az<n>`.
 */

export interface RegionInfo {
  name: string;
  partition: "aws" | "aws-cn" | "aws-us-gov";
  description: string;
  /** The zone letters (`a`, `b`, ...) of the region's Availability Zones. */
  zoneLetters: string;
  /** Whether the region must be opted in to (not enabled by default in a new account). */
  optIn: boolean;
}

const R = (
  name: string,
  description: string,
  zoneLetters: string,
  optIn = false,
  partition: RegionInfo["partition"] = "aws",
): RegionInfo => ({ name, partition, description, zoneLetters, optIn });

export const REGIONS: readonly RegionInfo[] = [
  R("us-east-1", "US East (N. Virginia)", "abcdef"),
  R("us-east-2", "US East (Ohio)", "abc"),
  R("us-west-1", "US West (N. California)", "ac"),
  R("us-west-2", "US West (Oregon)", "abcd"),
  R("af-south-1", "Africa (Cape Town)", "abc", true),
  R("ap-east-1", "Asia Pacific (Hong Kong)", "abc", true),
  R("ap-east-2", "Asia Pacific (Taipei)", "abc", true),
  R("ap-south-1", "Asia Pacific (Mumbai)", "abc"),
  R("ap-south-2", "Asia Pacific (Hyderabad)", "abc", true),
  R("ap-northeast-1", "Asia Pacific (Tokyo)", "acd"),
  R("ap-northeast-2", "Asia Pacific (Seoul)", "abcd"),
  R("ap-northeast-3", "Asia Pacific (Osaka)", "abc"),
  R("ap-southeast-1", "Asia Pacific (Singapore)", "abc"),
  R("ap-southeast-2", "Asia Pacific (Sydney)", "abc"),
  R("ap-southeast-3", "Asia Pacific (Jakarta)", "abc", true),
  R("ap-southeast-4", "Asia Pacific (Melbourne)", "abc", true),
  R("ap-southeast-5", "Asia Pacific (Malaysia)", "abc", true),
  R("ap-southeast-6", "Asia Pacific (New Zealand)", "abc", true),
  R("ap-southeast-7", "Asia Pacific (Thailand)", "abc", true),
  R("ca-central-1", "Canada (Central)", "abd"),
  R("ca-west-1", "Canada West (Calgary)", "abc", true),
  R("eu-central-1", "Europe (Frankfurt)", "abc"),
  R("eu-central-2", "Europe (Zurich)", "abc", true),
  R("eu-west-1", "Europe (Ireland)", "abc"),
  R("eu-west-2", "Europe (London)", "abc"),
  R("eu-west-3", "Europe (Paris)", "abc"),
  R("eu-south-1", "Europe (Milan)", "abc", true),
  R("eu-south-2", "Europe (Spain)", "abc", true),
  R("eu-north-1", "Europe (Stockholm)", "abc"),
  R("il-central-1", "Israel (Tel Aviv)", "abc", true),
  R("me-south-1", "Middle East (Bahrain)", "abc", true),
  R("me-central-1", "Middle East (UAE)", "abc", true),
  R("mx-central-1", "Mexico (Central)", "abc", true),
  R("sa-east-1", "South America (Sao Paulo)", "abc"),
  R("cn-north-1", "China (Beijing)", "abc", false, "aws-cn"),
  R("cn-northwest-1", "China (Ningxia)", "abc", false, "aws-cn"),
  R("us-gov-east-1", "AWS GovCloud (US-East)", "abc", false, "aws-us-gov"),
  R("us-gov-west-1", "AWS GovCloud (US-West)", "abc", false, "aws-us-gov"),
];

const byName = new Map(REGIONS.map((r) => [r.name, r]));

/** The pseudo-region that global services (IAM, Route 53, CloudFront) keep their state in. */
export const GLOBAL_REGION = "aws-global";

export function getRegion(name: string): RegionInfo | undefined {
  return byName.get(name);
}

export function isKnownRegion(name: string): boolean {
  return byName.has(name);
}

export interface AvailabilityZone {
  ZoneName: string;
  ZoneId: string;
  RegionName: string;
}

/** `us-east-1` -> `use1`, `ap-southeast-2` -> `apse2`: the prefix of AWS zone IDs. */
function regionAbbreviation(region: string): string {
  const [geo = "", direction = "", num = ""] = region.split("-");
  const dir = direction
    .replace("northeast", "ne")
    .replace("northwest", "nw")
    .replace("southeast", "se")
    .replace("southwest", "sw")
    .replace("central", "c")
    .replace("north", "n")
    .replace("south", "s")
    .replace("east", "e")
    .replace("west", "w");
  return `${geo}${dir}${num}`;
}

export function availabilityZones(region: string): AvailabilityZone[] {
  const info = byName.get(region);
  if (!info) return [];
  const abbr = regionAbbreviation(region);
  return [...info.zoneLetters].map((letter, i) => ({
    ZoneName: `${region}${letter}`,
    ZoneId: `${abbr}-az${i + 1}`,
    RegionName: region,
  }));
}

export function partitionOf(region: string): string {
  return byName.get(region)?.partition ?? "aws";
}
