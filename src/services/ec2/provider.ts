/**
 * EC2 operation handlers.
 *
 * ## Gaps
 * - Only DescribeRegions and DescribeAvailabilityZones so far; instances, VPCs, volumes and the
 *   rest arrive with the EC2 issue (501 NotImplemented until then).
 * ## By design
 * - Every region is enabled for every account (opt-in regions report `opted-in`).
 */
import type { Ec2Operations } from "../../generated/ec2.js";
import type { RequestContext } from "../../core/service.js";
import { ServiceError } from "../../core/errors.js";
import { REGIONS, availabilityZones, getRegion, type AvailabilityZone } from "../../core/regions.js";
import { Ec2Errors } from "./errors.js";
import { applyFilters } from "./filters.js";

function dryRun(input: { DryRun?: boolean }): void {
  if (input.DryRun) throw new ServiceError(Ec2Errors.DryRunOperation);
}

function regionEndpoint(ctx: RequestContext, name: string): string {
  // Clients reach every region through this one endpoint.
  void name;
  return ctx.endpoint.replace(/^https?:\/\//, "");
}

export const handlers: Partial<Ec2Operations> = {
  DescribeRegions(ctx, input) {
    dryRun(input);
    const partition = getRegion(ctx.region)?.partition ?? "aws";
    let regions = REGIONS.filter((r) => r.partition === partition);
    if (input.RegionNames?.length) {
      for (const name of input.RegionNames) {
        if (!regions.some((r) => r.name === name)) {
          throw new ServiceError(Ec2Errors.InvalidParameterValue, `Invalid region: ${name}`);
        }
      }
      regions = regions.filter((r) => input.RegionNames!.includes(r.name));
    }
    const items = regions.map((r) => ({
      RegionName: r.name,
      Endpoint: regionEndpoint(ctx, r.name),
      OptInStatus: r.optIn ? "opted-in" : "opt-in-not-required",
    }));
    return {
      Regions: applyFilters(items, input.Filters, {
        "region-name": (r) => r.RegionName,
        endpoint: (r) => r.Endpoint,
        "opt-in-status": (r) => r.OptInStatus,
      }),
    };
  },

  DescribeAvailabilityZones(ctx, input) {
    dryRun(input);
    let zones: AvailabilityZone[] = availabilityZones(ctx.region);
    if (input.ZoneNames?.length) {
      for (const name of input.ZoneNames) {
        if (!zones.some((z) => z.ZoneName === name)) {
          throw new ServiceError(Ec2Errors.InvalidParameterValue, `The zone '${name}' does not exist.`);
        }
      }
      zones = zones.filter((z) => input.ZoneNames!.includes(z.ZoneName));
    }
    if (input.ZoneIds?.length) {
      for (const id of input.ZoneIds) {
        if (!zones.some((z) => z.ZoneId === id)) {
          throw new ServiceError(Ec2Errors.InvalidParameterValue, `The zone ID '${id}' does not exist.`);
        }
      }
      zones = zones.filter((z) => input.ZoneIds!.includes(z.ZoneId));
    }
    const items = zones.map((z) => ({
      State: "available",
      OptInStatus: "opt-in-not-required",
      Messages: [],
      RegionName: z.RegionName,
      ZoneName: z.ZoneName,
      ZoneId: z.ZoneId,
      GroupName: z.RegionName,
      NetworkBorderGroup: z.RegionName,
      ZoneType: "availability-zone",
    }));
    return {
      AvailabilityZones: applyFilters(items, input.Filters, {
        "zone-name": (z) => z.ZoneName,
        "zone-id": (z) => z.ZoneId,
        "region-name": (z) => z.RegionName,
        state: (z) => z.State,
        "zone-type": (z) => z.ZoneType,
        "group-name": (z) => z.GroupName,
        "network-border-group": (z) => z.NetworkBorderGroup,
        "opt-in-status": (z) => z.OptInStatus,
      }),
    };
  },
};
