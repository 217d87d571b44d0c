/**
 * The ec2 protocol: the query protocol's form input with EC2's own naming, and EC2's own
 * response and error documents.
 *
 * AWS quirks reproduced:
 * - Input keys are the member's `queryName`, else its `locationName` or member name with the
 *   first letter upper-cased (`label` -> `Label`); lists are always `Name.N` (no `.member`).
 *   The parser also takes the other spellings, and `Name.member.N`.
 * - Output has no result wrapper: `<XResponse xmlns=NS><requestId/>...members...</XResponse>`,
 *   members named by their `locationName` (EC2's lower-camel names, `item` list members).
 * - Errors are `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`
 *   (note `RequestID`), with no Type element.
 * - An unknown action is `InvalidAction`: "The action X is not valid for this web service."
 */
import { CommonErrors, ServiceError } from "../core/errors.js";
import type { ServiceModel } from "./model.js";
import { decodeParams, formParam, formParams, type QueryNaming, type XmlFamilyCodec } from "./query.js";
import type { ResponseContext, WireResponse } from "./types.js";
import { fillIdempotencyTokens } from "./values.js";
import { escapeXml, namespaceAttr, serviceNamespace, writeErrorFields, writeStructureMembers, XML_PROLOG } from "./xml.js";

function capitalize(s: string): string {
  return s.length > 0 ? s[0].toUpperCase() + s.slice(1) : s;
}

export const ec2Naming: QueryNaming = {
  memberKeys(member, ref) {
    const keys: string[] = [];
    const add = (k: string | undefined): void => {
      if (k && !keys.includes(k)) keys.push(k);
    };
    add(ref.queryName);
    add(ref.locationName ? capitalize(ref.locationName) : undefined);
    add(capitalize(member));
    add(ref.locationName);
    add(member);
    return keys;
  },
  invalidValue(key, raw) {
    return new ServiceError(CommonErrors.InvalidParameterValue, `Invalid value '${raw}' for ${key}`);
  },
};

function ec2Namespace(model: ServiceModel): string {
  return serviceNamespace(model) ?? `http://ec2.amazonaws.com/doc/${model.metadata.apiVersion ?? ""}/`;
}

function responseHeaders(ctx: ResponseContext): Record<string, string> {
  return { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": ctx.requestId };
}

function withoutBodyForHead(res: WireResponse, ctx: ResponseContext): WireResponse {
  if (ctx.method === "HEAD") delete res.body;
  return res;
}

export const ec2: XmlFamilyCodec = {
  name: "ec2",

  resolveOperation(model, req) {
    const action = formParam(req, "Action");
    return action !== undefined && Object.hasOwn(model.operations, action) ? action : undefined;
  },

  unknownOperationError(_model, req) {
    const action = formParam(req, "Action");
    if (!action) return new ServiceError(CommonErrors.MissingAction, "The request must contain the parameter Action.");
    return new ServiceError(CommonErrors.InvalidAction, `The action ${action} is not valid for this web service.`);
  },

  parseInput(model, op, req) {
    if (!op.input) return {};
    const input = decodeParams(model, op.input.shape, formParams(req), ec2Naming);
    fillIdempotencyTokens(model, op.input.shape, input);
    return input;
  },

  serializeOutput(model, op, output, ctx) {
    const root = `${op.name}Response`;
    // EC2 writes the request id first; clients read it by name wherever it is.
    let body = `${XML_PROLOG}<${root}${namespaceAttr(ec2Namespace(model))}><requestId>${escapeXml(ctx.requestId)}</requestId>`;
    if (op.output) body += writeStructureMembers(model, op.output.shape, output);
    body += `</${root}>`;
    return withoutBodyForHead({ status: 200, headers: responseHeaders(ctx), body }, ctx);
  },

  serializeError(model, _op, error, ctx) {
    const body =
      `${XML_PROLOG}<Response><Errors><Error>` +
      `<Code>${escapeXml(error.code)}</Code>` +
      `<Message>${escapeXml(error.message)}</Message>` +
      writeErrorFields(model, error.shapeName, error.fields) +
      `</Error></Errors><RequestID>${escapeXml(ctx.requestId)}</RequestID></Response>`;
    return withoutBodyForHead({ status: error.status, headers: { ...error.headers, ...responseHeaders(ctx) }, body }, ctx);
  },
};
