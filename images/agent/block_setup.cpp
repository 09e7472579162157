#include "images/agent/block_setup.h"

namespace rfl::agent {

const std::vector<std::string>& BlockSchedulerChoices() {
  static const std::vector<std::string> choices = {"none", "mq-deadline", "kyber", std::string(kDriverDefault)};
  return choices;
}

BlockDeviceSetup BlockSetup(std::string_view device, uint32_t block_size, uint64_t size_mib,
                            std::string_view scheduler) {
  BlockDeviceSetup s;
  // The geometry and the completion mode, as every setup has had: complete
  // in queue_rq (irqmode 0), no timer or softirq in between.
  s.configfs = {{"blocksize", std::to_string(block_size)}, {"size", std::to_string(size_mib)},
                {"irqmode", "0", true}};
  if (device == "null_blk") s.configfs.push_back({"memory_backed", "0", true});
  if (scheduler != kDriverDefault) {
    s.configfs.push_back({"rotational", "0", true});
    if (device == "null_blk") {
      // rnull's fixed layout (see the header), and nothing rnull cannot do.
      for (AttrWrite w : {AttrWrite{"queue_mode", "2", true}, AttrWrite{"submit_queues", std::to_string(kRnullHwQueues)},
                          AttrWrite{"poll_queues", "0", true}, AttrWrite{"hw_queue_depth", std::to_string(kRnullQueueDepth)},
                          AttrWrite{"blocking", "0", true}, AttrWrite{"no_sched", "0", true},
                          AttrWrite{"shared_tags", "0", true}, AttrWrite{"zoned", "0", true},
                          AttrWrite{"discard", "0", true}, AttrWrite{"cache_size", "0", true},
                          AttrWrite{"mbps", "0", true}}) {
        s.configfs.push_back(std::move(w));
      }
    }
    s.queue = {{"scheduler", std::string(scheduler)}, {"nomerges", "0"}, {"iostats", "1", true},
               {"add_random", "0", true}, {"rq_affinity", "1", true}};
  }
  s.configfs.push_back({"power", "1"});
  return s;
}

}  // namespace rfl::agent
