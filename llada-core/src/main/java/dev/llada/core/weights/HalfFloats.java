package dev.llada.core.weights;

/** Conversions between F32 and the 16-bit float formats, done in Java so DJL never sees BF16. */
public final class HalfFloats {

  private HalfFloats() {}

  /** bfloat16 is the upper half of an IEEE float32: widening is exact. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** float32 → bfloat16, round to nearest even (as torch does); NaN stays NaN. */
  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if ((bits & 0x7FFFFFFF) > 0x7F800000) {
      return (short) ((bits >>> 16) | 0x0040); // quiet NaN
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /** IEEE binary16 → float32, exact (Java 17 has no {@code Float.float16ToFloat}). */
  public static float f16ToFloat(short bits) {
    int h = bits & 0xFFFF;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
      float v = mantissa * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    if (exponent == 31) { // infinity or NaN
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }

  /** float32 → IEEE binary16, round to nearest even; overflow gives infinity. */
  public static short floatToF16(float value) {
    int f = Float.floatToRawIntBits(value);
    int sign = (f >>> 16) & 0x8000;
    int abs = f & 0x7FFFFFFF;
    if (abs >= 0x7F800000) { // infinity or NaN
      return (short) (sign | 0x7C00 | (abs > 0x7F800000 ? 0x200 : 0));
    }
    if (abs >= 0x477FF000) { // >= 65520 rounds to infinity
      return (short) (sign | 0x7C00);
    }
    if (abs < 0x38800000) { // below 2^-14: subnormal, mantissa = round(v * 2^24)
      int m = (int) Math.rint(Float.intBitsToFloat(abs) * 16777216.0);
      return (short) (sign | m);
    }
    int h = ((((abs >>> 23) - 127 + 15)) << 10) | ((abs & 0x7FFFFF) >>> 13);
    int rest = abs & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
      h++; // a carry into the exponent is the correct rounding
    }
    return (short) (sign | h);
  }
}
