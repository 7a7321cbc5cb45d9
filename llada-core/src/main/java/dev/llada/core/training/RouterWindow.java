package dev.llada.core.training;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * An MoE's router figures between two metrics rows: the mean load-balancing and z losses, and the
 * share of the token assignments each expert of each layer took, relative to the mean share (1 =
 * perfectly balanced; the bar is no expert below 0.25).
 */
final class RouterWindow {

  private double balance;
  private double z;
  private int micros;
  private long[][] loads;

  void add(Trainer.Micro micro) {
    if (micro.loads() == null) {
      return;
    }
    balance += micro.balanceLoss();
    z += micro.zLoss();
    micros++;
    if (loads == null) {
      loads = new long[micro.loads().length][micro.loads()[0].length];
    }
    for (int l = 0; l < loads.length; l++) {
      for (int e = 0; e < loads[l].length; e++) {
        loads[l][e] += micro.loads()[l][e];
      }
    }
  }

  /** Adds this window's figures to a metrics row and starts a new window (nothing for dense). */
  void addTo(JsonObject row) {
    if (micros == 0) {
      return;
    }
    row.addProperty("router_balance_loss", balance / micros);
    row.addProperty("router_z_loss", z / micros);
    JsonArray shares = new JsonArray();
    double min = Double.POSITIVE_INFINITY;
    double max = 0;
    for (long[] layer : loads) {
      double total = 0;
      for (long c : layer) {
        total += c;
      }
      double mean = total / layer.length;
      JsonArray perExpert = new JsonArray();
      for (long c : layer) {
        double share = c / mean;
        perExpert.add(Math.round(share * 1000) / 1000.0);
        min = Math.min(min, share);
        max = Math.max(max, share);
      }
      shares.add(perExpert);
    }
    row.add("expert_load", shares);
    row.addProperty("expert_load_min", Math.round(min * 1000) / 1000.0);
    row.addProperty("expert_load_max", Math.round(max * 1000) / 1000.0);
    balance = 0;
    z = 0;
    micros = 0;
    loads = null;
  }
}
