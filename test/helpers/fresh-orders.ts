import type { Simulator } from '../../src/simulator/server.js'

/** A new order with two New items no other test touches, and its first item. */
export function freshItem (sim: Simulator): { orderId: string, itemId: number } {
  const order = sim.freshOrder()
  return { orderId: order.Id, itemId: order.Items[0]?.Images?.[0]?.OrderItemId as number }
}

/** The item's status as the simulated Gooten holds it now. */
export const statusAtGooten = (sim: Simulator, orderId: string, itemId: number): unknown =>
  sim.order(orderId)?.Items.find((item) => item.Images?.[0]?.OrderItemId === itemId)?.Status
