// Finds a checkpoint's layout (HF or original/, sharded or not), maps its files, validates
// every tensor against the config, and hands out typed views. Nothing is copied.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/weights.h"

namespace gptoss::engine {

class MappedFile;  // safetensors.h

struct Checkpoint {
  Config config;
  Weights weights;   // views into `files`; valid while this Checkpoint lives
  ModelInfo info;    // dir, layout, files, file_bytes, fingerprint (load_seconds left 0)
  std::vector<std::unique_ptr<MappedFile>> files;
  ~Checkpoint();
};

// The safetensors files of a layout, in load order, with each tensor's file per the index.
struct FilePlan {
  std::vector<std::string> files;                 // names relative to the folder
  std::map<std::string, std::string> weight_map;  // tensor -> file; empty when not sharded
};

// The text of model.safetensors.index.json (`index_file` names it in errors): its shards, sorted,
// and the file of each tensor. Throws LoadError on bad JSON, a weight_map that is not an object
// of plain file names, or one naming no tensor. Does not look at the disk.
FilePlan parse_shard_index(const std::string& text, const std::string& index_file);

// Opens `dir` (see Model::open). Every failure throws LoadError naming the file and the tensor
// or config key at fault; no tensor byte is read before all validation passed.
std::unique_ptr<Checkpoint> open_checkpoint(const std::string& dir,
                                            const std::function<void(const LoadProgress&)>& progress = {});

}  // namespace gptoss::engine
