/** CloudTrail's error catalog. */
import type { ErrorDef } from "../../core/errors.js";

const e = (code: string, message?: string): ErrorDef => ({ code, status: 400, ...(message ? { message } : {}) });

export const CloudTrailErrors = {
  TrailNotFoundException: e("TrailNotFoundException"),
  TrailAlreadyExistsException: e("TrailAlreadyExistsException"),
  InvalidTrailNameException: e("InvalidTrailNameException"),
  S3BucketDoesNotExistException: e("S3BucketDoesNotExistException"),
  InsufficientS3BucketPolicyException: e("InsufficientS3BucketPolicyException"),
  InvalidS3PrefixException: e("InvalidS3PrefixException"),
  InvalidLookupAttributesException: e("InvalidLookupAttributesException"),
  InvalidTimeRangeException: e("InvalidTimeRangeException", "Start time must not be later than end time."),
  InvalidMaxResultsException: e("InvalidMaxResultsException"),
  InvalidNextTokenException: e("InvalidNextTokenException", "Invalid NextToken."),
  InvalidEventCategoryException: e("InvalidEventCategoryException"),
  InvalidEventSelectorsException: e("InvalidEventSelectorsException"),
  InvalidTagParameterException: e("InvalidTagParameterException"),
  ResourceNotFoundException: e("ResourceNotFoundException"),
  InvalidCloudWatchLogsLogGroupArnException: e("InvalidCloudWatchLogsLogGroupArnException"),
  InvalidCloudWatchLogsRoleArnException: e("InvalidCloudWatchLogsRoleArnException"),
  InvalidParameterCombinationException: e("InvalidParameterCombinationException"),
} satisfies Record<string, ErrorDef>;
