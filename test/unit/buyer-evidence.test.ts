import { buyerEvidence } from "../../subgraphs/customers/buyer-evidence";

const shipTo = { province: "上海市", city: "上海市", district: "浦东新区", detail: "世纪大道1号 801室", recipient: "王五", phone: "13700137000" };

describe("identity evidence of an order's buyer", () => {
  test("a receiver the channel does not call the buyer gives nothing: a gift is not its giver", () => {
    expect(buyerEvidence({ buyer: { channelCustomerId: "tb-1" }, shippingAddress: shipTo })).toEqual({ name: null, phone: null, deviceFingerprint: null, address: null });
    expect(buyerEvidence({ buyer: { channelCustomerId: "tb-1" }, shippingAddress: shipTo, receiverIsBuyer: false }).address).toBeNull();
  });

  test("the buyer's own name, phone and device always count", () => {
    expect(buyerEvidence({ buyer: { channelCustomerId: "w-1", name: "孙七", phone: "18600001234", deviceFingerprint: "fp1" }, shippingAddress: shipTo })).toEqual({
      name: "孙七",
      phone: "18600001234",
      deviceFingerprint: "fp1",
      address: null,
    });
  });

  test("a receiver stated to be the buyer is a weak signal: it fills in, never overrides", () => {
    expect(buyerEvidence({ buyer: { channelCustomerId: "w-1" }, shippingAddress: shipTo, receiverIsBuyer: true })).toEqual({
      name: "王五",
      phone: "13700137000",
      deviceFingerprint: null,
      address: { province: "上海市", city: "上海市", district: "浦东新区", detail: "世纪大道1号 801室" },
    });
    expect(buyerEvidence({ buyer: { channelCustomerId: "w-1", name: "王伍", phone: "13700137001" }, shippingAddress: shipTo, receiverIsBuyer: true })).toMatchObject({
      name: "王伍",
      phone: "13700137001",
    });
  });
});
