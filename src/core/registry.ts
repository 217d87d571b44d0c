/**
 * The services Nimbus serves: each entry of models/services.json with its model (loaded on first
 * use) and its definition (handlers). Routing tables come from the build-time service index so
 * that start-up does not parse every model.
 */
import { loadServiceModel, type ServiceManifestEntry } from "../protocol/model-loader.js";
import type { ProtocolName, ServiceModel } from "../protocol/model.js";
import { SERVICE_INDEX, type ServiceIndexEntry } from "../generated/service-index.js";
import type { ServiceDefinition } from "./service.js";

export class LoadedService {
  private loaded?: ServiceModel;
  readonly protocols: ProtocolName[];
  readonly signingName: string;
  readonly global: boolean;

  constructor(
    readonly name: string,
    readonly definition: ServiceDefinition,
    private readonly entry: ServiceManifestEntry,
    readonly index: ServiceIndexEntry,
  ) {
    this.protocols = index.protocols;
    this.signingName = index.signingName;
    this.global = entry.global === true;
  }

  model(): ServiceModel {
    return (this.loaded ??= loadServiceModel(this.entry));
  }
}

export class ServiceRegistry {
  private readonly services = new Map<string, LoadedService>();
  private readonly targets = new Map<string, LoadedService>();
  private readonly shapeNames = new Map<string, LoadedService>();
  private readonly signing = new Map<string, LoadedService>();
  private readonly anonymousActions = new Map<string, LoadedService>();
  /** Services reached by a path prefix under a signing name another service also uses. */
  private readonly prefixed: LoadedService[] = [];

  /**
   * Every service of models/services.json is routed; one without a definition answers every
   * operation with 501 NotImplemented (naming it) rather than looking like an unknown endpoint.
   */
  constructor(definitions: readonly ServiceDefinition[]) {
    const defined = new Map(definitions.map((d) => [d.name, d]));
    for (const name of Object.keys(SERVICE_INDEX)) if (!defined.has(name)) defined.set(name, { name, handlers: {} });
    for (const def of defined.values()) {
      const index = SERVICE_INDEX[def.name];
      if (!index) throw new Error(`service ${def.name} is not in models/services.json (run npm run build)`);
      const svc = new LoadedService(def.name, def, index.manifest, index);
      this.services.set(def.name, svc);
      if (index.targetPrefix) {
        this.targets.set(index.targetPrefix, svc);
        this.shapeNames.set(index.targetPrefix, svc);
        // A namespaced prefix (CloudTrail's com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101)
        // is also sent bare by newer SDKs.
        const bare = index.targetPrefix.slice(index.targetPrefix.lastIndexOf(".") + 1);
        if (bare !== index.targetPrefix && !this.targets.has(bare)) this.targets.set(bare, svc);
      }
      if (index.manifest.pathPrefix) this.prefixed.push(svc);
      else if (!this.signing.has(index.signingName)) this.signing.set(index.signingName, svc);
      for (const op of def.anonymousOperations ?? []) this.anonymousActions.set(op, svc);
    }
  }

  all(): LoadedService[] {
    return [...this.services.values()];
  }
  byName(name: string): LoadedService | undefined {
    return this.services.get(name);
  }
  byTargetPrefix(prefix: string): LoadedService | undefined {
    return this.targets.get(prefix);
  }
  /** Smithy RPC v2 names the service by its shape name, which is the JSON target prefix. */
  byServiceShapeName(name: string): LoadedService | undefined {
    return this.shapeNames.get(name);
  }
  /** The service signed as `name`; `path` picks out services with a `pathPrefix` (SES v2, S3 Control). */
  bySigningName(name: string, path?: string): LoadedService | undefined {
    if (path !== undefined) {
      for (const svc of this.prefixed) {
        if (svc.signingName === name && path.startsWith(svc.index.manifest.pathPrefix!)) return svc;
      }
    }
    return this.signing.get(name) ?? this.prefixed.find((s) => s.signingName === name && path === undefined);
  }
  /** The service an unsigned query request with this Action may go to. */
  byQueryAction(action: string): LoadedService | undefined {
    return this.anonymousActions.get(action);
  }
}
