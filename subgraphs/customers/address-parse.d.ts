/**
 * Minimal typings for address-parse 1.2.19, which ships none. Only what cleansing.ts uses;
 * the shapes were checked against the package's dist/ sources, not its README.
 */
declare module "address-parse" {
  export interface ParsedAddress {
    /** Official name, except municipalities, which come back short ("北京", not "北京市"). */
    province: string;
    /** "北京市" for municipalities; fillers "县" (Chongqing counties) and "省直辖县" occur. */
    city: string;
    area: string;
    /** Lossy: the library strips phone numbers, 6-digit runs (zip codes), labels and a "name". */
    details: string;
    name: string;
    /** Deepest code found: district (110105), or city/province level (110100, 440000); "" when none. */
    code: string;
    __type: "parseByProvince" | "parseByCity" | "parseByArea" | "";
    /** Confidence: false/0 = a guess from a bare district name; true or a number > 0 = anchored. */
    __parse?: boolean | number;
    mobile: string;
    phone: string;
    zip_code: string;
  }

  export interface AddressParser {
    /** parseAll=true runs every strategy and returns all candidates, most credible first. */
    parse(address: string, parseAll?: boolean): ParsedAddress[];
  }

  export const AREA: {
    province_list: Record<string, string>;
    city_list: Record<string, string>;
    area_list: Record<string, string>;
  };

  export const Utils: {
    getAreaByCode(code: string): { code: string; province: string; city: string; area: string };
  };

  /** The parser class. Its static ParseArea instance carries the short-name tables we reuse. */
  export const ParseAddress: {
    ParseArea?: {
      constructor?: {
        ProvinceShort?: Record<string, string>;
        CityShort?: Record<string, string>;
        AreaShort?: Record<string, string>;
      };
    };
  };

  const parser: AddressParser;
  export default parser;
}
