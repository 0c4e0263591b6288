import { ConfigError } from "../kernel/config";
import { DEFAULT_MATCH_CONFIG, type MatchConfig } from "./matching";

/** Matching thresholds are configuration: MATCH_AUTO_MERGE_SCORE, MATCH_REVIEW_SCORE, MATCH_MAX_CUSTOMERS_PER_VALUE. */
export function matchConfig(env: Record<string, string | undefined>): MatchConfig {
  const num = (name: string, fallback: number, min: number, max: number, integer = false) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw new ConfigError(`${name}="${raw}" is invalid: expected ${integer ? "a whole number" : "a number"} from ${min} to ${max}.`);
    }
    return v;
  };
  const config = {
    autoMergeScore: num("MATCH_AUTO_MERGE_SCORE", DEFAULT_MATCH_CONFIG.autoMergeScore, 0, 2),
    reviewScore: num("MATCH_REVIEW_SCORE", DEFAULT_MATCH_CONFIG.reviewScore, 0, 2),
    maxCustomersPerValue: num("MATCH_MAX_CUSTOMERS_PER_VALUE", DEFAULT_MATCH_CONFIG.maxCustomersPerValue, 1, 1000, true),
  };
  if (config.reviewScore > config.autoMergeScore) throw new ConfigError("MATCH_REVIEW_SCORE must not be above MATCH_AUTO_MERGE_SCORE.");
  return config;
}
