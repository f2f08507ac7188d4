// Sets its status from config on every config-changed, through the SDK and the real hook tools.
import { ActiveStatus, CharmBase, type Framework } from "@charmkit/ops";

export default class TsCharm extends CharmBase {
  constructor(framework: Framework) {
    super(framework);
    framework.observe("config-changed", () => {
      this.model.unit.setStatus(ActiveStatus(`greeting is ${String(this.model.config.get("greeting"))}`));
    });
  }
}
