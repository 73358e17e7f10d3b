# moe::quantize_model (owner: quantize helper): byte identity with llama-quantize's Q4_K_M / Q6_K
# files, logits of every target vs its input model, fallbacks, errors.
moe_add_test(test-engine-quantize
  SOURCES test-engine-quantize.cpp
  LIBS moe_engine nlohmann_json::nlohmann_json
  LABELS conformance model TIMEOUT 900)
