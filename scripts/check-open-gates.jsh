// Static Keras ResNet-50 vs the same weights as a LAUD network with fresh (open) gates: max |logit difference|
// per photo. Run after a build and scripts/fetch-assets:
//   jshell --class-path "laudnet-bench/target/laudnet-bench.jar:$(ls laudnet-bench/target/lib/*.jar | tr "\n" ":")" scripts/check-open-gates.jsh
import org.laudnet.models.inference.*;
import org.laudnet.models.weights.*;
import org.laudnet.core.block.GateSpec;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
var cache = AssetCache.defaultCache();
var s = PretrainedModels.load("resnet50-imagenet");
var l = PretrainedModels.load("resnet50-imagenet", GateSpec.spatial(4), GateSpec.channel(4), GateSpec.layer(), GateSpec.both(7, 4));
var pre = s.metadata().preprocessing();
var m = NDManager.newBaseManager();
for (String p : AssetCache.PHOTOS) { var x = m.create(pre.apply(ImageInputs.read(cache.photo(p))), new Shape(1, 3, 224, 224)); var ps = new ParameterStore(m, false); float d = s.network().run(ps, x, false).logits().sub(l.network().run(ps, x, false).logits()).abs().max().getFloat(); System.out.println(p + " max|logit diff| = " + d); }
/exit
