# How ctest -j 2 schedules the integration tier (scripts/test.sh).
#
# COST: ctest starts a tier's tests in decreasing cost; without one, in the
# order GoogleTest registered them (a unity batch's order, not the files').
# These are the seconds each test took in the integration tier of the
# fresh-clone check at 2179e8d (2 cores), so the longest chains of kernel
# builds (the toolchain tests' seeded trees, the x86 variants) start first
# and the short tests fill the other slot at the end. Only the order depends
# on them: a test missing here, or renamed, starts after these. Once ctest
# has run a test it uses its own measured cost
# (build/Testing/Temporary/CTestCostData.txt) instead. The x86 kernel those
# tests share is built before the tier (scripts/test.sh), so the AgentBoot
# tests, which used to build it, are short and not listed.
#
# RESOURCE_LOCK: tests that rebuild one kernel tree take its file lock, so a
# second one started beside them would only wait for it; ctest starts
# another test in that slot instead.
set_tests_properties(ToolchainSysroot.AnInstalledSysrootNamedAsADirToolchainBuildsAKernelWhichBootsWithTheAgent PROPERTIES COST 551.5)
set_tests_properties(ToolchainTarball.AnUpstreamInstallerBuildsTheQuickstartKernelWhichBootsWithTheAgent PROPERTIES COST 309.5)
set_tests_properties(BuildQuickstart.AKconfigVariantStartsFromTheBuiltBaselineTreeAndRebuildsOnlyWhatItsConfigChanges PROPERTIES COST 295.2)
set_tests_properties(BuildQuickstart.ReturnThunksWithoutRethunkFailToLinkAndSaySo PROPERTIES COST 191.6)
set_tests_properties(ToolchainSysroot.ADebianRustcUnpackedInADirectoryBuildsRustForTheKernel PROPERTIES COST 126.4)
set_tests_properties(BuildQuickstart.BaselineThenKrustflagsVariantRebuildsOnlyRustAndRerunIsCacheHit PROPERTIES COST 120.9)
set_tests_properties(BuildQuickstart.CodeCheckStageFindsIbtInTheVariantsRustObjectsAndNotInTheBaselines PROPERTIES COST 120.8)
set_tests_properties(BuildQuickstart.CodeCheckStageFindsPatchableEntriesInTheVariantAndNotInTheBaseline PROPERTIES COST 94.8)
set_tests_properties(AbiCheck.Rustc197RejectsFixedX18MixedOnArm64AndTheEscapeHatchWorks PROPERTIES COST 72.5)
set_tests_properties(AbiCheck.FixedX18IsRejectedBothWaysOnArm64AndTheEscapeHatchWorks PROPERTIES COST 65.7)
set_tests_properties(VmBoot.OopsFromAModuleIsOops PROPERTIES COST 50.3)
set_tests_properties(VmBoot.WarningFromAModuleIsWarning PROPERTIES COST 50.2)
set_tests_properties(AbiCheck.CfProtectionIsNotATargetModifierSoTheMixIsAccepted PROPERTIES COST 46.2)
set_tests_properties(AbiCheck.ShadowCallStackOnArm64IsJudgedWithFixedX18OnBothSidesAndIsRejected PROPERTIES COST 42.5)
set_tests_properties(VmBoot.SoftLockupIsHang PROPERTIES COST 40.6)
set_tests_properties(AbiCheck.KcfiGivesCAndRustTheSameTypeIdsWithTheKernelsFlagsOnly PROPERTIES COST 40.3)
set_tests_properties(ToolchainArchive.TheShippedRecipesResolveAgainstTodaysArchive PROPERTIES COST 21.0)

# The x86 quickstart baseline's tree: its KRUSTFLAGS variants rebuild in it.
set_tests_properties(
  BuildQuickstart.BaselineThenKrustflagsVariantRebuildsOnlyRustAndRerunIsCacheHit
  BuildQuickstart.CodeCheckStageFindsIbtInTheVariantsRustObjectsAndNotInTheBaselines
  BuildQuickstart.CodeCheckStageFindsPatchableEntriesInTheVariantAndNotInTheBaseline
  BuildQuickstart.ReturnThunksWithoutRethunkFailToLinkAndSaySo
  PROPERTIES RESOURCE_LOCK x86-quickstart-tree)
# The upstream-installer toolchain's tree, which the dir-toolchain test seeds from.
set_tests_properties(
  ToolchainTarball.AnUpstreamInstallerBuildsTheQuickstartKernelWhichBootsWithTheAgent
  ToolchainSysroot.AnInstalledSysrootNamedAsADirToolchainBuildsAKernelWhichBootsWithTheAgent
  PROPERTIES RESOURCE_LOCK x86-tarball-tree)
