package dev.llada.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The core is a plain library: it never reaches into Jakarta EE, MicroProfile or the platform. */
class ArchitectureTest {

  private final JavaClasses core =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.llada.core");

  @Test
  void coreDoesNotDependOnJakartaOrMicroProfile() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "jakarta..", "javax.ws..", "javax.persistence..", "org.eclipse.microprofile..")
        .because("llada-core must stay usable as a plain library and CLI (ARCHITECTURE.md)")
        .check(core);
  }

  @Test
  void coreDoesNotKnowThePlatformModules() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.llada.platform..", "dev.llada.registry..", "dev.llada.db..", "dev.llada.worker..")
        .because("dependencies point from the platform down to the core, never back")
        .check(core);
  }
}
