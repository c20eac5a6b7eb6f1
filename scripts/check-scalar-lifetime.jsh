// Why training arithmetic with constants goes through ScalarOps: the engine's NDArray.mul(Number) wraps the number in a
// scalar backed by a direct buffer and closes it when the call returns, while autograd still reads it in the backward
// pass. After a garbage collection that memory is reused; here it is poisoned with NaN before backward() runs.
// Prints, for 20 trials each, how many gradients of d(3x)/dx came out wrong with x.mul(3f) and with ScalarOps.mul.
// Run after a build:
//   jshell -R-Dai.djl.offline=true --class-path "laudnet-bench/target/laudnet-bench.jar:$(ls laudnet-bench/target/lib/*.jar | tr "\n" ":")" scripts/check-scalar-lifetime.jsh
import ai.djl.ndarray.*;
import ai.djl.engine.Engine;
import org.laudnet.core.util.ScalarOps;
var m = NDManager.newBaseManager();
int wrong(java.util.function.UnaryOperator<NDArray> f) throws Exception {
  int bad = 0;
  for (int trial = 0; trial < 20; trial++) {
    try (var s = m.newSubManager()) {
      var x = s.create(new float[] {1f, 2f, 3f});
      x.setRequiresGradient(true);
      try (var gc = Engine.getInstance().newGradientCollector()) {
        var y = f.apply(x).sum();
        System.gc();
        Thread.sleep(10);
        var junk = new java.util.ArrayList<java.nio.ByteBuffer>();
        for (int i = 0; i < 2000; i++) {
          var b = java.nio.ByteBuffer.allocateDirect(4).order(java.nio.ByteOrder.nativeOrder());
          b.putFloat(0, Float.NaN);
          junk.add(b);
        }
        gc.backward(y);
        float[] g = x.getGradient().toFloatArray();
        if (g[0] != 3f || g[1] != 3f || g[2] != 3f) {
          bad++;
        }
      }
    }
  }
  return bad;
}
System.out.println("wrong gradients of d(3x)/dx in 20 trials: x.mul(3f) " + wrong(x -> x.mul(3f)) + ", ScalarOps.mul(x, 3) " + wrong(x -> ScalarOps.mul(x, 3)));
/exit
